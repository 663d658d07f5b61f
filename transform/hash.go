package transform

func hashBuiltins() map[string]Factory { return map[string]Factory{} }
