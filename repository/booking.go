package repository

// bookingModels are the persisted models of the booking context.
var bookingModels = []any{}
