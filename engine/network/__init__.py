"""What an agent's network and computer need for the workbench and its softphone."""
