"""Typed models shared by the gateway, the Lambda functions and the tasks."""
