"""The background worker: Huey jobs that act for users while they are away.

queue.py holds the one Huey instance and the job decorators, context.py what every job runs in,
jobs/ the jobs themselves (thin wrappers over services), consumer.py how `gateway worker` runs them.
"""
