"""The call center's domain: models, services (all the rules) and runtimes."""
