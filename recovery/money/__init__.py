"""Money: the pure rules (Decimal), the ledger and interest, the demand, the options, the final amount, the policy tables and the calculators."""
