package repository

import (
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"balance/models"
)

// saveVersioned writes every column of model — an aggregate loaded earlier with *version — only
// if its row still has that version, and bumps the version. A concurrent edit that saved first
// leaves zero rows to update: that is ErrConflict, and the aggregate keeps its old version.
// Associations are not saved; the caller saves them in the same transaction.
func saveVersioned(tx *gorm.DB, model any, version *int) error {
	old := *version
	*version = old + 1
	res := tx.Session(&gorm.Session{SkipHooks: true}).Model(model).
		Where("version = ?", old).Select("*").Omit(clause.Associations).Updates(model)
	if res.Error != nil {
		*version = old
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		*version = old
		return &models.ConstraintError{Kind: models.ErrConflict, Constraint: "version"}
	}
	return nil
}

// pageSize bounds list queries.
const maxPageSize = 200

// Page selects a slice of a list: Limit rows after skipping Offset.
type Page struct {
	Limit  int
	Offset int
}

func (p Page) apply(q *gorm.DB) *gorm.DB {
	limit := p.Limit
	if limit <= 0 || limit > maxPageSize {
		limit = maxPageSize
	}
	return q.Limit(limit).Offset(max(p.Offset, 0))
}

func notFound(what string, id any, err error) error {
	return fmt.Errorf("%s %v: %w", what, id, translate(err))
}
