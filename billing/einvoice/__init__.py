"""E-invoices of issued invoices and credit notes: FatturaPA for Italy (through the SdI), and
EN 16931 for the rest (Factur-X PDF/A-3 with its CII XML, and UBL 2.1 / Peppol BIS 3)."""
