"""The ground floor: organisation, authorities, units, people and roles, the register of
accounts with its decisions, and the policy (the guidelines) with users' acknowledgements."""
