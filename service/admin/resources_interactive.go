package admin

import "balance/models"

var (
	interactiveTypeChoices = []Choice{
		{string(models.InteractiveTypeQuiz), "Тест"},
		{string(models.InteractiveTypeNavigator), "Навигатор"},
		{string(models.InteractiveTypeThermometer), "Термометр"},
		{string(models.InteractiveTypeBoundaries), "Границы"},
		{string(models.InteractiveTypePrep), "Подготовка к сессии"},
		{string(models.InteractiveTypeRitual), "Ритуал"},
	}
	interactiveRunStatusChoices = []Choice{
		{string(models.InteractiveRunStatusInProgress), "В процессе"},
		{string(models.InteractiveRunStatusCompleted), "Завершено"},
		{string(models.InteractiveRunStatusAbandoned), "Брошено"},
	}
	interactiveLevelChoices = []Choice{
		{string(models.InteractiveLevelLow), "Низкий"},
		{string(models.InteractiveLevelModerate), "Средний"},
		{string(models.InteractiveLevelHigh), "Высокий"},
	}
)

// interactiveResources: self-help tools and their runs. A run keeps only its result (the answers
// are never stored, so none can be declared); the visitor's anonymous id and the run's metadata
// are not declared either. Runs are read-only: they are the clients' own.
func interactiveResources() []Resource {
	return []Resource{
		{
			Name: "interactive_definitions", Label: "Интерактивы", Singular: "Интерактив", Model: &models.InteractiveDefinition{},
			// Never deleted: runs refer to a tool, so it is archived instead.
			Access: editorialAccess(nobody), TitleField: "title", DefaultSort: "title", Writer: interactiveWriter{},
			Actions: publicationActions(editorial, interactiveChange((*models.InteractiveDefinition).Publish),
				interactiveChange((*models.InteractiveDefinition).Unpublish), interactiveChange((*models.InteractiveDefinition).Archive)),
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "slug", Label: "Адрес (slug)", Type: Text, List: true, Sort: true, Search: true, Edit: true, Required: true},
				{Name: "type", Label: "Вид", Type: Enum, Choices: interactiveTypeChoices, List: true, Filter: true, Edit: true, Required: true},
				{Name: "title", Label: "Название", Type: Text, List: true, Sort: true, Search: true, Edit: true, Required: true},
				{Name: "topic_code", Label: "Тема (код)", Type: Text, List: true, Filter: true, Edit: true},
				{Name: "status", Label: "Статус", Type: Enum, Choices: publicationChoices, List: true, Filter: true, Sort: true},
				{Name: "config", Label: "Вопросы и правила подсчёта", Type: JSON, Edit: true},
				{Name: "published_at", Label: "Опубликован", Type: DateTime},
				{Name: "version", Label: "Версия", Type: Integer},
				{Name: "created_at", Label: "Создан", Type: DateTime, Sort: true},
				{Name: "updated_at", Label: "Изменён", Type: DateTime, Sort: true},
			},
		},
		{
			Name: "interactive_runs", Label: "Прохождения", Singular: "Прохождение", Model: &models.InteractiveRun{},
			Access: readOnly(clientData), DefaultSort: "-started_at",
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "definition_id", Label: "Интерактив", Type: Reference, Ref: "interactive_definitions", List: true, Filter: true},
				{Name: "user_id", Label: "Пользователь", Type: Reference, Ref: "users", Filter: true},
				{Name: "status", Label: "Статус", Type: Enum, Choices: interactiveRunStatusChoices, List: true, Filter: true, Sort: true},
				{Name: "started_at", Label: "Начато", Type: DateTime, List: true, Sort: true},
				{Name: "completed_at", Label: "Завершено", Type: DateTime, List: true},
				{Name: "result_level", Label: "Уровень", Type: Enum, Choices: interactiveLevelChoices, List: true, Filter: true},
				{Name: "result_profile", Label: "Профиль", Type: Text},
				{Name: "crisis_triggered", Label: "Кризисный ответ", Type: Boolean, List: true, Filter: true},
				{Name: "duration_ms", Label: "Длительность, мс", Type: Integer},
			},
		},
	}
}
