package repository

// adminModels are the persisted models of the admin context.
var adminModels = []any{}
