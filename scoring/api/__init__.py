"""The scoring REST API: the rule catalogue (`schemes`) and the ledger, passbooks, scores and alerts (`ledger`)."""
