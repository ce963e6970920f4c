package repository_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/schema"

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

// compatibleTypes lists, per dialect and GORM data type, the column types a field may map to.
// Times must carry a zone on PostgreSQL (timestamptz), never "timestamp without time zone".
var compatibleTypes = map[string]map[string][]string{
	"postgres": {
		"uuid": {"uuid"}, "serialized": {"text", "jsonb"}, "bool": {"bool"},
		"int": {"int2", "int4", "int8"}, "uint": {"int2", "int4", "int8"}, "float": {"float8", "numeric"},
		"string": {"text", "varchar"}, "time": {"timestamptz", "date"}, "bytes": {"bytea"},
	},
	"sqlite": {
		"uuid": {"text"}, "serialized": {"text"}, "bool": {"boolean", "integer"},
		"int": {"integer", "bigint"}, "uint": {"integer", "bigint"}, "float": {"real"},
		"string": {"text"}, "time": {"timestamp", "date", "datetime"}, "bytes": {"blob"},
	},
}

var uuidType = reflect.TypeOf(uuid.UUID{})

// fieldKind classifies a model field for compatibleTypes.
func fieldKind(f *schema.Field) string {
	switch {
	case f.Serializer != nil:
		return "serialized"
	case f.IndirectFieldType == uuidType:
		return "uuid"
	}
	return string(f.DataType)
}

// schemaTypeMismatches returns "column: field kind vs column type" for every incompatible column
// and "index name" for every index the model declares that the table lacks.
func schemaTypeMismatches(t *testing.T, db *repository.DB, model any) []string {
	t.Helper()
	stmt := &gorm.Statement{DB: db.Gorm}
	if err := stmt.Parse(model); err != nil {
		t.Fatalf("parse %T: %v", model, err)
	}
	cols, err := db.Gorm.Migrator().ColumnTypes(model)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]string{}
	for _, c := range cols {
		types[c.Name()] = strings.ToLower(c.DatabaseTypeName())
	}
	var bad []string
	for _, f := range stmt.Schema.Fields {
		colType, ok := types[f.DBName]
		if f.DBName == "" || !ok {
			continue // missing columns are schemaDiff's business
		}
		kind := fieldKind(f)
		if !slices.Contains(compatibleTypes[string(db.Dialect)][kind], colType) {
			bad = append(bad, fmt.Sprintf("%s: %s field (%s) in a %s column", f.DBName, kind, f.FieldType, colType))
		}
	}
	for _, idx := range stmt.Schema.ParseIndexes() {
		if !db.Gorm.Migrator().HasIndex(model, idx.Name) {
			bad = append(bad, "missing index "+idx.Name)
		}
	}
	return bad
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
			for _, m := range schemaTypeMismatches(t, db, model) {
				t.Errorf("%T (%s): %s", model, table, m)
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
	TimeZone         *string
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

// staleTypes maps throttle_hits with a float key and a declared index that does not exist.
type staleTypes struct {
	ID    uuid.UUID `gorm:"primaryKey"`
	Scope string
	Key   float64 `gorm:"index:throttle_hits_no_such_idx"`
	HitAt time.Time
}

func (staleTypes) TableName() string { return "throttle_hits" }

func TestSchemaTypeCheckDetectsMismatch(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		bad := schemaTypeMismatches(t, db, &staleTypes{})
		if len(bad) != 2 || !strings.HasPrefix(bad[0], "key: float field") || bad[1] != "missing index throttle_hits_no_such_idx" {
			t.Errorf("mismatches = %q", bad)
		}
	})
}
