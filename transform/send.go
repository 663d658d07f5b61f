package transform

func sendBuiltins() map[string]Factory { return map[string]Factory{} }
