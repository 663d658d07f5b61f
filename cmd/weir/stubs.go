package main

import "context"

const vetUsage, listUsage, buildUsage = "", "", ""

func (c *cli) vetCommand(ctx context.Context, args []string) int   { return 0 }
func (c *cli) listCommand(ctx context.Context, args []string) int  { return 0 }
func (c *cli) buildCommand(ctx context.Context, args []string) int { return 0 }
