package condition

func stringBuiltins() map[string]Factory { return map[string]Factory{} }
