"""How large prepaid hours may get.

PostgreSQL's integer holds 2,147,483,647: a contract's ``balance_minutes`` and its ledger's
``balance_after`` must never be asked to hold more (issue 20: a block or renewal setting
near that size was an ``integer out of range`` 500, also on a technician's next entry).
The limits below are far past any real use and keep every sum well inside it:

* a block (bought, or a renewal's size) is at most MAX_BLOCK_MINUTES, 10,000 hours, as the
  browser's block form already said; a renewal threshold is no larger;
* a purchase may not take the balance past MAX_BALANCE_MINUTES (100,000 hours);
* only a purchase or a renewal adds minutes (a reversal gives back what a draw took), and a
  renewal happens below the threshold, so one draw of at most a day
  (timetracking.rounding.MAX_ENTRY_MINUTES, times a work type's factor) renews at most a
  few blocks: the balance stays under MAX_BALANCE_MINUTES + 3 blocks + a day's draw.

The database's CHECK constraints (contracts.models) hold the same line as a backstop at
BALANCE_CEILING_MINUTES, which no path above can reach.
"""

MAX_BLOCK_MINUTES = 10_000 * 60
MAX_BALANCE_MINUTES = 100_000 * 60
BALANCE_CEILING_MINUTES = 1_000_000_000  # under 2**31 - 1
