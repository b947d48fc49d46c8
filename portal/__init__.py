"""The client contact's pages: offers to decide on (later: balance, tickets, reports, invoices)."""
