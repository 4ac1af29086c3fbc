-- Drives Neovim's built-in LSP client (0.7+) against the Livepatch Workbench server over stdio:
-- open a fixture, wait for diagnostics, ask for code actions at the first one, write what came
-- back as JSON, quit. Paths come from the environment; nothing here knows our server's habits.
local out_path = os.getenv('KLP_NVIM_OUT')
local file = os.getenv('KLP_NVIM_FILE')
local server = os.getenv('KLP_SERVER')
local node = os.getenv('KLP_NODE') or 'node'

local function finish(result)
  local handle = io.open(out_path, 'w')
  handle:write(vim.fn.json_encode(result))
  handle:close()
  vim.cmd('qa!')
end

vim.cmd('edit ' .. vim.fn.fnameescape(file))
local bufnr = vim.api.nvim_get_current_buf()
vim.bo[bufnr].filetype = 'c'
local client_id = vim.lsp.start_client({
  name = 'livepatch',
  cmd = { node, server, '--stdio' },
  root_dir = vim.fn.fnamemodify(file, ':h'),
})
if not client_id then
  finish({ error = 'the client did not start' })
  return
end
vim.lsp.buf_attach_client(bufnr, client_id)

local got = vim.wait(30000, function()
  return #vim.diagnostic.get(bufnr) > 0
end, 50)
if not got then
  finish({ error = 'no diagnostics within 30 s' })
  return
end

local diagnostics = {}
local lsp_diagnostics = {}
for _, d in ipairs(vim.diagnostic.get(bufnr)) do
  local lsp = (d.user_data and d.user_data.lsp) or {}
  table.insert(diagnostics, { code = lsp.code or d.code, message = d.message, line = d.lnum, col = d.col, severity = d.severity })
  table.insert(lsp_diagnostics, lsp)
end

local first = lsp_diagnostics[1]
local params = {
  textDocument = { uri = vim.uri_from_bufnr(bufnr) },
  range = first.range,
  context = { diagnostics = lsp_diagnostics },
}
local responses = vim.lsp.buf_request_sync(bufnr, 'textDocument/codeAction', params, 30000) or {}
local actions = {}
for _, response in pairs(responses) do
  for _, action in ipairs(response.result or {}) do
    table.insert(actions, { title = action.title, kind = action.kind, has_edit = action.edit ~= nil })
  end
end
finish({ diagnostics = diagnostics, actions = actions })
