package repository

// interactiveModels are the persisted models of the interactive context.
var interactiveModels = []any{}
