"""The request guard the stack's local HTTP services share: SigV4 verification and Host/Origin checks."""
