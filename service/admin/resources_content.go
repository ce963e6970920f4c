package admin

import (
	"context"

	"github.com/google/uuid"

	"balance/models"
	"balance/repository"
)

var contentTypeChoices = []Choice{
	{string(models.ContentTypeArticle), "Статья"},
	{string(models.ContentTypeVideo), "Видео"},
	{string(models.ContentTypeExercise), "Упражнение"},
}

// editorial: who writes content, topics, tags, interactive tools and message templates (the
// assistant reads them).
var editorial = []models.Role{models.RoleOwner, models.RoleEditor}

// editorialAccess: every staff role reads, the owner and the editor write (delete: deleters).
func editorialAccess(deleters []models.Role) map[Verb][]models.Role {
	return map[Verb][]models.Role{List: staffAll, Show: staffAll, Create: editorial, Update: editorial, Delete: deleters}
}

// contentTagIDs reads the tags of content items for their tag_ids field.
func contentTagIDs(ctx context.Context, db *repository.DB, ids []uuid.UUID) (map[uuid.UUID][]uuid.UUID, error) {
	return repository.NewContentItems(db).TagIDsOf(ctx, ids)
}

// contentResources: the public library and its topics and tags.
func contentResources() []Resource {
	return []Resource{
		{
			Name: "content_items", Label: "Материалы", Singular: "Материал", Model: &models.ContentItem{},
			Access: editorialAccess(editorial), TitleField: "title", DefaultSort: "-updated_at", Writer: contentItemWriter{},
			Actions: publicationActions(editorial, contentChange((*models.ContentItem).Publish),
				contentChange((*models.ContentItem).Unpublish), contentChange((*models.ContentItem).Archive)),
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "type", Label: "Вид", Type: Enum, Choices: contentTypeChoices, List: true, Filter: true, Edit: true, Required: true},
				{Name: "slug", Label: "Адрес (slug)", Type: Text, List: true, Sort: true, Search: true, Edit: true, Required: true},
				{Name: "title", Label: "Заголовок", Type: Text, List: true, Sort: true, Search: true, Edit: true},
				{Name: "summary", Label: "Краткое описание", Type: LongText, Edit: true},
				{Name: "body_markdown", Label: "Текст", Type: Markdown, Edit: true},
				{Name: "cover_url", Label: "Обложка", Type: Text, Edit: true},
				{Name: "video_url", Label: "Видео", Type: Text, Edit: true},
				{Name: "topic_id", Label: "Тема", Type: Reference, Ref: "topics", List: true, Filter: true, Edit: true},
				{Name: "tag_ids", Label: "Теги", Type: References, Ref: "tags", Edit: true, Refs: contentTagIDs},
				{Name: "status", Label: "Статус", Type: Enum, Choices: publicationChoices, List: true, Filter: true, Sort: true},
				{Name: "published_at", Label: "Опубликован", Type: DateTime, List: true, Sort: true},
				{Name: "publish_at", Label: "Опубликовать в", Type: DateTime, List: true, Sort: true, Filter: true, Edit: true},
				{Name: "seo_title", Label: "SEO-заголовок", Type: Text, Edit: true},
				{Name: "seo_description", Label: "SEO-описание", Type: Text, Edit: true},
				{Name: "reading_minutes", Label: "Время чтения, мин", Type: Integer},
				{Name: "version", Label: "Версия", Type: Integer},
				{Name: "created_at", Label: "Создан", Type: DateTime, Sort: true},
				{Name: "updated_at", Label: "Изменён", Type: DateTime, Sort: true},
			},
		},
		{
			Name: "topics", Label: "Темы", Singular: "Тема", Model: &models.Topic{},
			Access: editorialAccess(editorial), TitleField: "title", DefaultSort: "sort_order", Writer: topicWriter{},
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "code", Label: "Код", Type: Text, List: true, Sort: true, Search: true, Edit: true, Required: true},
				{Name: "title", Label: "Название", Type: Text, List: true, Sort: true, Search: true, Edit: true, Required: true},
				{Name: "description", Label: "Описание", Type: LongText, Edit: true},
				{Name: "sort_order", Label: "Порядок", Type: Integer, List: true, Sort: true, Edit: true},
				{Name: "created_at", Label: "Создана", Type: DateTime, Sort: true},
				{Name: "updated_at", Label: "Изменена", Type: DateTime, Sort: true},
			},
		},
		{
			Name: "tags", Label: "Теги", Singular: "Тег", Model: &models.Tag{},
			Access: editorialAccess(editorial), TitleField: "title", DefaultSort: "title", Writer: tagWriter{},
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "slug", Label: "Адрес (slug)", Type: Text, List: true, Sort: true, Search: true, Edit: true, Required: true},
				{Name: "title", Label: "Название", Type: Text, List: true, Sort: true, Search: true, Edit: true, Required: true},
				{Name: "created_at", Label: "Создан", Type: DateTime, Sort: true},
			},
		},
	}
}
