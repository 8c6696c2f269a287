"""DynamoDB adapter tests (a package so modules can import conftest helpers)."""
