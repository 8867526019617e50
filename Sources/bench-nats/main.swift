print("bench-nats: not yet implemented")
