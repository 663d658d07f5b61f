package transform

func networkBuiltins() map[string]Factory { return map[string]Factory{} }
