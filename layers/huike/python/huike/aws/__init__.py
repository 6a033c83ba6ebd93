"""AWS adapters: clients built once per process; SMS, MMS, email and Step Functions calls."""
