package transform

func objectBuiltins() map[string]Factory { return map[string]Factory{} }
