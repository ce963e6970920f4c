package repository

// moderationModels are the persisted models of the moderation context.
var moderationModels = []any{}
