package transform

func aggregateBuiltins() map[string]Factory { return map[string]Factory{} }
