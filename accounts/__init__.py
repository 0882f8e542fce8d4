"""accounts: users and API keys (who may call the product, as which role and scope)."""
