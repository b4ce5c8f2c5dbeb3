"""The thin app-side layer between pages and mnist_core: caching, session state, background jobs."""
