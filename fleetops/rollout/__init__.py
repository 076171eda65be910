"""The rolling-replacement algorithm (EC2 Auto Scaling instance refresh semantics), pure."""
