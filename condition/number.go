package condition

func numberBuiltins() map[string]Factory { return map[string]Factory{} }
