package admin

import "balance/models"

var contentTypeChoices = []Choice{
	{string(models.ContentTypeArticle), "Статья"},
	{string(models.ContentTypeVideo), "Видео"},
	{string(models.ContentTypeExercise), "Упражнение"},
}

// contentResources: the public library and its topics and tags.
func contentResources() []Resource {
	return []Resource{
		{
			Name: "content_items", Label: "Материалы", Singular: "Материал", Model: &models.ContentItem{},
			Access: readOnly(staffAll), DefaultSort: "-updated_at",
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "type", Label: "Вид", Type: Enum, Choices: contentTypeChoices, List: true, Filter: true},
				{Name: "slug", Label: "Адрес (slug)", Type: Text, List: true, Sort: true, Search: true},
				{Name: "title", Label: "Заголовок", Type: Text, List: true, Sort: true, Search: true},
				{Name: "summary", Label: "Краткое описание", Type: LongText},
				{Name: "body_markdown", Label: "Текст", Type: Markdown},
				{Name: "cover_url", Label: "Обложка", Type: Text},
				{Name: "video_url", Label: "Видео", Type: Text},
				{Name: "topic_id", Label: "Тема", Type: Reference, Ref: "topics", List: true, Filter: true},
				{Name: "status", Label: "Статус", Type: Enum, Choices: publicationChoices, List: true, Filter: true, Sort: true},
				{Name: "published_at", Label: "Опубликован", Type: DateTime, List: true, Sort: true},
				{Name: "seo_title", Label: "SEO-заголовок", Type: Text},
				{Name: "seo_description", Label: "SEO-описание", Type: Text},
				{Name: "reading_minutes", Label: "Время чтения, мин", Type: Integer},
				{Name: "version", Label: "Версия", Type: Integer},
				{Name: "created_at", Label: "Создан", Type: DateTime, Sort: true},
				{Name: "updated_at", Label: "Изменён", Type: DateTime, Sort: true},
			},
		},
		{
			Name: "topics", Label: "Темы", Singular: "Тема", Model: &models.Topic{},
			Access: readOnly(staffAll), DefaultSort: "sort_order",
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "code", Label: "Код", Type: Text, List: true, Sort: true, Search: true},
				{Name: "title", Label: "Название", Type: Text, List: true, Sort: true, Search: true},
				{Name: "description", Label: "Описание", Type: LongText},
				{Name: "sort_order", Label: "Порядок", Type: Integer, List: true, Sort: true},
				{Name: "created_at", Label: "Создана", Type: DateTime, Sort: true},
				{Name: "updated_at", Label: "Изменена", Type: DateTime, Sort: true},
			},
		},
		{
			Name: "tags", Label: "Теги", Singular: "Тег", Model: &models.Tag{},
			Access: readOnly(staffAll), DefaultSort: "title",
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "slug", Label: "Адрес (slug)", Type: Text, List: true, Sort: true, Search: true},
				{Name: "title", Label: "Название", Type: Text, List: true, Sort: true, Search: true},
				{Name: "created_at", Label: "Создан", Type: DateTime, Sort: true},
			},
		},
	}
}
