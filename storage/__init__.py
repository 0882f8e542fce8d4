"""PostgreSQL / TimescaleDB storage: migrations, connections, repositories."""
