package transform

func formatBuiltins() map[string]Factory { return map[string]Factory{} }
