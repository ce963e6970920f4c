package admin

import (
	"errors"
	"regexp"

	"balance/models"
)

// The models explain a bad value in English (the public API speaks English); staff read Russian.
// russianMessages translates the models' messages of the contexts whose writers use inRussian —
// content, interactive tools and message templates — keeping the field; an unknown message
// passes through unchanged.
var russianMessages = []struct {
	re *regexp.Regexp
	ru string
}{
	{regexp.MustCompile(`^is required$`), "обязательное поле"},
	{regexp.MustCompile(`^is required to publish$`), "нужно заполнить перед публикацией"},
	{regexp.MustCompile(`^is required to publish a video$`), "у видео перед публикацией должна быть ссылка"},
	{regexp.MustCompile(`^is required for email$`), "у письма должна быть тема"},
	{regexp.MustCompile(`^must be at most (\d+) characters$`), "не длиннее $1 символов"},
	{regexp.MustCompile(`^must be one line of at most (\d+) characters$`), "одна строка не длиннее $1 символов"},
	{regexp.MustCompile(`^must be 1 to (\d+) characters or absent$`), "от 1 до $1 символов или пусто"},
	{regexp.MustCompile(`^may contain only a-z, 0-9 and single dashes between them$`), "только латинские буквы a–z, цифры и одиночные дефисы между ними"},
	{regexp.MustCompile(`^must be an absolute http\(s\) URL$`), "должна быть ссылкой http(s)://"},
	{regexp.MustCompile(`^must be article, video or exercise; got .*$`), "выберите: статья, видео или упражнение"},
	{regexp.MustCompile(`^must be quiz, navigator, .*$`), "выберите вид интерактива из списка"},
	{regexp.MustCompile(`^must be a topic id$`), "выберите тему"},
	{regexp.MustCompile(`^must be positive$`), "должно быть больше нуля"},
	{regexp.MustCompile(`^must be saved tags$`), "выберите существующие теги"},
	{regexp.MustCompile(`^only a draft can be scheduled for publication$`), "запланировать публикацию можно только для черновика"},
	{regexp.MustCompile(`^must be in the future$`), "должно быть в будущем"},
	{regexp.MustCompile(`^at least one question is required$`), "нужен хотя бы один вопрос"},
	{regexp.MustCompile(`^at least two options are required$`), "нужно хотя бы два варианта ответа"},
	{regexp.MustCompile(`^at least one option is required$`), "нужен хотя бы один вариант ответа"},
	{regexp.MustCompile(`^duplicate question id (".*")$`), "вопрос с id $1 уже есть"},
	{regexp.MustCompile(`^duplicate option id (".*")$`), "вариант с id $1 уже есть"},
	{regexp.MustCompile(`^duplicate level (".*")$`), "уровень $1 уже есть"},
	{regexp.MustCompile(`^unknown question (".*")$`), "нет вопроса $1"},
	{regexp.MustCompile(`^unknown option (".*") of question (".*")$`), "у вопроса $2 нет варианта $1"},
	{regexp.MustCompile(`^are required unless options have profiles$`), "нужны диапазоны баллов, если у вариантов нет профилей"},
	{regexp.MustCompile(`^must be low, moderate or high; got .*$`), "уровень: low, moderate или high"},
	{regexp.MustCompile(`^min_score must not exceed max_score$`), "min_score не может быть больше max_score"},
	{regexp.MustCompile(`^bands (\S+) and (\S+) overlap$`), "диапазоны $1 и $2 пересекаются"},
	{regexp.MustCompile(`^scores (-?\d+)\.\.(-?\d+) fall in no band$`), "баллы от $1 до $2 не попадают ни в один диапазон"},
	{regexp.MustCompile(`^scores from (-?\d+) to (-?\d+) fall in no band$`), "баллы от $1 до $2 не попадают ни в один диапазон"},
	{regexp.MustCompile(`^is not a valid template: (.*)$`), "шаблон с ошибкой: $1"},
	{regexp.MustCompile(`^must be empty for telegram$`), "у сообщения Telegram нет темы"},
	{regexp.MustCompile(`^must be absent for telegram$`), "у сообщения Telegram нет HTML-версии"},
}

// inRussian gives a model's validation error a Russian message for the form; other errors pass.
func inRussian(err error) error {
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	for _, m := range russianMessages {
		if m.re.MatchString(ve.Message) {
			return &models.ValidationError{Field: ve.Field, Message: m.re.ReplaceAllString(ve.Message, m.ru)}
		}
	}
	return err
}

// Refusal is a write the record's state or its use does not allow (deleting a topic that content
// refers to, a published article): a 409 whose Message tells the person why, in Russian.
type Refusal struct{ Message string }

func (e *Refusal) Error() string { return e.Message }

// Unwrap makes a Refusal a models.ErrConflict.
func (e *Refusal) Unwrap() error { return models.ErrConflict }
