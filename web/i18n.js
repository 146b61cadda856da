// UI strings in English and Chinese; the browser's language picks one.
// Static markup names its string with data-i18n (text), data-i18n-placeholder
// and data-i18n-label (aria-label); scripts call t(key, ...args).

const en = {
  skipToInput: 'Skip to question',
  glanceOnline: 'Online', glanceCache: 'Cache hits', glanceP99: 'p99', glanceMemory: 'Memory',
  glanceTitle: 'From /metrics: online-query ratio (target < 30 %), answer-cache hit rate (> 85 %), p99 answer latency (< 500 ms), resident memory',
  newChat: 'New chat', knowledge: 'Knowledge', settings: 'Settings', close: 'Close',
  emptyHint: 'Ask anything. Answers cite their sources: web pages and your knowledge base.',
  model: 'Model', serverDefault: 'server default', webMode: 'Web',
  webAuto: 'auto', webAlways: 'always', webNever: 'never',
  answerWith: 'Answer with', engineLlm: 'model', engineExtractive: 'sources only',
  question: 'Question', placeholder: 'Ask a question…', send: 'Send', stop: 'Stop',
  keysHint: 'Enter to send · Shift+Enter for a new line · Esc to stop',
  kbStats: 'Stats', kbAdd: 'Add to knowledge', kbUrl: 'Web page URL', kbAddUrl: 'Add page',
  kbTitle: 'Title', kbText: 'Text', kbAddText: 'Add text', kbFile: 'File (text, Markdown, HTML)',
  kbUpload: 'Upload', kbSearch: 'Search knowledge', search: 'Search',
  apiKey: 'API key (sent as Bearer; kept in this browser)',
  maxTokens: 'Max answer tokens (empty = no limit)', save: 'Save', saved: 'Saved.',
  thinking: 'Searching and reading…', stopped: 'Stopped.', stoppedAt: 'Stopped by you.',
  truncated: 'Cut off at the token limit.', error: 'Error: {0}', networkError: 'Cannot reach owlet: {0}',
  sources: 'Sources', why: 'Why this route', timings: 'Stage timings', total: 'total',
  modelSaw: 'What the model saw',
  citationsRemoved: '{0} citation(s) to missing sources removed',
  tier_cache: 'cache', tier_none: 'direct', tier_local: 'local', tier_web_light: 'web · light', tier_web_deep: 'web · deep',
  tier_offline: 'offline',
  stage_cache: 'cache', stage_route: 'route', stage_search: 'search', stage_fetch: 'fetch',
  stage_extract: 'extract', stage_rank: 'rank', stage_prompt: 'prompt', stage_prefill: 'prefill',
  stage_generate: 'generate',
  origin_web_snippet: 'search snippet', origin_web_page: 'web page', origin_kb: 'knowledge base',
  st_documents: 'Documents', st_chunks: 'Chunks', st_vectors: 'Vectors', st_cached_answers: 'Cached answers',
  st_size: 'Size on disk', st_warm: 'Vector search',
  on: 'on', off: 'off',
  added: 'Added: {0} chunk(s).', replaced: 'Updated: {0} chunk(s).', unchanged: 'Already stored, unchanged.',
  duplicate: 'Already stored under another source (document {0}).', working: 'Working…',
  hits: '{0} result(s) in {1} ms', noHits: 'Nothing found.',
  kbUnavailable: 'Knowledge base unavailable: {0}', confirmNew: 'Start a new chat? The current one is cleared.',
  sourceN: 'Source {0}', openSource: 'open in a new tab',
};

const zh = {
  skipToInput: '跳到提问框',
  glanceOnline: '联网率', glanceCache: '缓存命中', glanceP99: 'P99', glanceMemory: '内存',
  glanceTitle: '来自 /metrics：联网查询比例（目标 < 30%）、答案缓存命中率（> 85%）、P99 回答延迟（< 500 ms）、常驻内存',
  newChat: '新对话', knowledge: '知识库', settings: '设置', close: '关闭',
  emptyHint: '随便问。回答会标注来源：网页和你的知识库。',
  model: '模型', serverDefault: '服务器默认', webMode: '联网',
  webAuto: '自动', webAlways: '总是', webNever: '从不',
  answerWith: '回答方式', engineLlm: '模型生成', engineExtractive: '仅引用来源',
  question: '问题', placeholder: '输入问题…', send: '发送', stop: '停止',
  keysHint: 'Enter 发送 · Shift+Enter 换行 · Esc 停止',
  kbStats: '统计', kbAdd: '添加知识', kbUrl: '网页地址', kbAddUrl: '添加网页',
  kbTitle: '标题', kbText: '文本', kbAddText: '添加文本', kbFile: '文件（文本、Markdown、HTML）',
  kbUpload: '上传', kbSearch: '搜索知识库', search: '搜索',
  apiKey: 'API 密钥（以 Bearer 发送，仅保存在本浏览器）',
  maxTokens: '回答最多 token 数（留空 = 不限）', save: '保存', saved: '已保存。',
  thinking: '正在搜索和阅读…', stopped: '已停止。', stoppedAt: '已由你停止。',
  truncated: '已达到 token 上限，回答被截断。', error: '出错：{0}', networkError: '无法连接 owlet：{0}',
  sources: '来源', why: '为何走这条路径', timings: '各阶段耗时', total: '总计',
  modelSaw: '模型看到的内容',
  citationsRemoved: '已移除 {0} 个指向不存在来源的引用',
  tier_cache: '缓存', tier_none: '直接回答', tier_local: '本地', tier_web_light: '联网 · 轻', tier_web_deep: '联网 · 深',
  tier_offline: '离线',
  stage_cache: '缓存', stage_route: '路由', stage_search: '搜索', stage_fetch: '抓取',
  stage_extract: '抽取', stage_rank: '排序', stage_prompt: '提示词', stage_prefill: '预填充',
  stage_generate: '生成',
  origin_web_snippet: '搜索摘要', origin_web_page: '网页', origin_kb: '知识库',
  st_documents: '文档', st_chunks: '片段', st_vectors: '向量', st_cached_answers: '缓存的回答',
  st_size: '磁盘占用', st_warm: '向量检索',
  on: '开', off: '关',
  added: '已添加：{0} 个片段。', replaced: '已更新：{0} 个片段。', unchanged: '已存在，内容未变。',
  duplicate: '已以其他来源保存（文档 {0}）。', working: '处理中…',
  hits: '{0} 条结果，用时 {1} ms', noHits: '没有找到。',
  kbUnavailable: '知识库不可用：{0}', confirmNew: '开始新对话？当前对话将被清空。',
  sourceN: '来源 {0}', openSource: '在新标签页打开',
};

const lang = (navigator.languages && navigator.languages[0]) || navigator.language || 'en';
export const locale = /^zh\b/i.test(lang) ? 'zh' : 'en';
const table = locale === 'zh' ? zh : en;

export function has(key) {
  return key in table || key in en;
}

export function t(key, ...args) {
  const s = table[key] ?? en[key] ?? key;
  return s.replace(/\{(\d)\}/g, (_, i) => String(args[Number(i)] ?? ''));
}

export function applyStatic(root = document) {
  document.documentElement.lang = locale === 'zh' ? 'zh-CN' : 'en';
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
}
