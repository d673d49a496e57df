"""Transfer tasks: submission, the runner that executes them, their progress, queries and documents."""
