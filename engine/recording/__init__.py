"""Call recording: the policy of instances and skill groups, the agent's own control of
its call's recording, and the recordings kept with their calls."""
