package transform

func timeBuiltins() map[string]Factory { return map[string]Factory{} }
