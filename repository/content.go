package repository

// contentModels are the persisted models of the content context.
var contentModels = []any{}
