package repository

// cabinetModels are the persisted models of the cabinet context.
var cabinetModels = []any{}
