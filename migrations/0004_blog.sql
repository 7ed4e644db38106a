-- Blog articles and contact form messages.
CREATE TABLE articles (
  id {{pk}},
  author_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
  title TEXT NOT NULL,
  content TEXT NOT NULL DEFAULT '',
  image TEXT NOT NULL DEFAULT '',
  views BIGINT NOT NULL DEFAULT 0,
  is_published INTEGER NOT NULL DEFAULT 0,
  published_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX articles_published ON articles(is_published, published_at);

CREATE TABLE contact_messages (
  id {{pk}},
  name TEXT NOT NULL,
  email TEXT NOT NULL,
  message TEXT NOT NULL,
  ip TEXT NOT NULL DEFAULT '',
  user_id BIGINT,
  mailed INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL
);
CREATE INDEX contact_messages_ip ON contact_messages(ip, created_at);
