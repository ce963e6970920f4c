package repository

// crmModels are the persisted models of the crm context.
var crmModels = []any{}
