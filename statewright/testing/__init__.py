"""Testing workflows: scenarios, the engines that run them, and cross-target equivalence."""
