package repository_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"balance/internal/testkit"
	"balance/repository"
)

// schemaDiff returns the model's columns missing from the table and the table's columns the model
// does not map.
func schemaDiff(t *testing.T, db *gorm.DB, model any) (table string, notInTable, notInModel []string) {
	t.Helper()
	stmt := &gorm.Statement{DB: db}
	if err := stmt.Parse(model); err != nil {
		t.Fatalf("parse %T: %v", model, err)
	}
	// DBNames holds the fields stored in the table (associations have no column).
	fields := slices.Clone(stmt.Schema.DBNames)
	cols, err := db.Migrator().ColumnTypes(model)
	if err != nil {
		t.Fatalf("columns of %s: %v", stmt.Schema.Table, err)
	}
	var columns []string
	for _, c := range cols {
		columns = append(columns, c.Name())
	}
	for _, f := range fields {
		if !slices.Contains(columns, f) {
			notInTable = append(notInTable, f)
		}
	}
	for _, c := range columns {
		if !slices.Contains(fields, c) {
			notInModel = append(notInModel, c)
		}
	}
	return stmt.Schema.Table, notInTable, notInModel
}

// TestSchemaMatchesModels proves the migrated schema and the GORM models agree, in both
// directions, on both dialects: production never runs AutoMigrate.
func TestSchemaMatchesModels(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		for _, model := range repository.Models() {
			table, notInTable, notInModel := schemaDiff(t, db.Gorm, model)
			if len(notInTable) > 0 {
				t.Errorf("%T: fields without a column in %s: %v", model, table, notInTable)
			}
			if len(notInModel) > 0 {
				t.Errorf("%T: columns of %s without a field: %v", model, table, notInModel)
			}
		}
	})
}

// staleUser maps users as a model that gained Nickname and lost DisplayName would: the check must
// notice both.
type staleUser struct {
	ID               uuid.UUID `gorm:"primaryKey"`
	Email            *string
	Phone            *string
	TelegramUserID   *string
	TelegramUsername *string
	PasswordHash     *string
	Status           string
	CreatedAt        time.Time
	UpdatedAt        time.Time
	DeletedAt        gorm.DeletedAt
	Nickname         string
}

func (staleUser) TableName() string { return "users" }

func TestSchemaDiffDetectsMismatch(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		_, notInTable, notInModel := schemaDiff(t, db.Gorm, &staleUser{})
		if !slices.Equal(notInTable, []string{"nickname"}) {
			t.Errorf("fields without a column = %v, want [nickname]", notInTable)
		}
		if !slices.Equal(notInModel, []string{"display_name"}) {
			t.Errorf("columns without a field = %v, want [display_name]", notInModel)
		}
	})
}
