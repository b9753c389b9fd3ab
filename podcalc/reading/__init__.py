"""Reading input: bytes to documents to the core's typed values, every problem located."""
