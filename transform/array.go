package transform

func arrayBuiltins() map[string]Factory { return map[string]Factory{} }
