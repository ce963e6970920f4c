package repository

// telegramModels are the persisted models of the telegram context.
var telegramModels = []any{}
