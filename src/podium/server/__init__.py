"""The Podium server: API, orchestration policy, database and services."""
