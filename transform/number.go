package transform

func numberBuiltins() map[string]Factory { return map[string]Factory{} }
