<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AboutWindow</name>
    <message>
        <source>About</source>
        <translation>关于</translation>
    </message>
    <message>
        <source>A desktop companion for browser extensions: prompts the web page cannot see or click, and secrets kept in the system keychain.</source>
        <translation>浏览器扩展的桌面助手：网页无法看到或点击的确认窗口，以及保存在系统钥匙串中的机密。</translation>
    </message>
    <message>
        <source>Free software under the {licence} licence: use, change and share it.</source>
        <translation>采用 {licence} 许可证的自由软件：您可以自由使用、修改和分享。</translation>
    </message>
    <message>
        <source>Runs on Python {python}, Qt {qt}, PySide6 {pyside}.</source>
        <translation>运行环境：Python {python}、Qt {qt}、PySide6 {pyside}。</translation>
    </message>
    <message>
        <source>Log folder: {folder}</source>
        <translation>日志文件夹：{folder}</translation>
    </message>
    <message>
        <source>&amp;Open log folder</source>
        <translation>打开日志文件夹(&amp;O)</translation>
    </message>
    <message>
        <source>&amp;Close</source>
        <translation>关闭(&amp;C)</translation>
    </message>
</context>
<context>
    <name>ActivityWindow</name>
    <message>
        <source>Activity</source>
        <translation>活动记录</translation>
    </message>
    <message>
        <source>Filter by extension, site, request, title or outcome</source>
        <translation>按扩展、网站、请求、标题或结果筛选</translation>
    </message>
    <message>
        <source>&amp;Filter:</source>
        <translation>筛选(&amp;F)：</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Extension</source>
        <translation>扩展</translation>
    </message>
    <message>
        <source>Site</source>
        <translation>网站</translation>
    </message>
    <message>
        <source>Request</source>
        <translation>请求</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>标题</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>&amp;Close</source>
        <translation>关闭(&amp;C)</translation>
    </message>
</context>
<context>
    <name>AddExtensionDialog</name>
    <message>
        <source>Allow an extension</source>
        <translation>允许扩展</translation>
    </message>
    <message>
        <source>Allow only extensions you trust: they can ask you to confirm, choose or type, and keep secrets in your keychain.</source>
        <translation>只允许您信任的扩展：它们可以请您确认、选择或输入内容，并在您的钥匙串中保存机密。</translation>
    </message>
    <message>
        <source>Looking in your browsers&apos; profiles…</source>
        <translation>正在查看浏览器的用户配置…</translation>
    </message>
    <message>
        <source>Filter by name, browser or ID</source>
        <translation>按名称、浏览器或 ID 筛选</translation>
    </message>
    <message>
        <source>&amp;Filter:</source>
        <translation>筛选(&amp;F)：</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Installed in</source>
        <translation>安装位置</translation>
    </message>
    <message>
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>32 letters a to p, name@example.org or {GUID}</source>
        <translation>32 个 a 到 p 的字母、name@example.org 或 {GUID}</translation>
    </message>
    <message>
        <source>The name dialogs will show (optional)</source>
        <translation>对话框中显示的名称（可选）</translation>
    </message>
    <message>
        <source>Or type an &amp;ID:</source>
        <translation>或输入 ID(&amp;I)：</translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation>名称(&amp;N)：</translation>
    </message>
    <message>
        <source>&amp;Allow</source>
        <translation>允许(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <translation>取消(&amp;C)</translation>
    </message>
    <message>
        <source>(no name)</source>
        <translation>（无名称）</translation>
    </message>
    <message>
        <source>{name} (already allowed)</source>
        <translation>{name}（已允许）</translation>
    </message>
    <message>
        <source>Extensions found in your browsers: {count}.</source>
        <translation>在浏览器中找到 {count} 个扩展。</translation>
    </message>
    <message>
        <source>No extension found in the profiles of the browsers on this computer. Type its ID below.</source>
        <translation>在本机浏览器的用户配置中未找到扩展。请在下方输入扩展 ID。</translation>
    </message>
    <message>
        <source>The browsers&apos; profiles could not be read. Type an ID below.</source>
        <translation>无法读取浏览器的用户配置。请在下方输入扩展 ID。</translation>
    </message>
    <message>
        <source>This is not an extension ID. A Chromium-family ID is 32 letters from a to p (or chrome-extension://ID/); a Firefox add-on ID looks like name@example.org or {GUID}.</source>
        <translation>这不是扩展 ID。Chromium 系浏览器的扩展 ID 由 32 个 a 到 p 的字母组成（也可写作 chrome-extension://ID/）；Firefox 附加组件的 ID 形如 name@example.org 或 {GUID}。</translation>
    </message>
</context>
<context>
    <name>AllowedExtensionsWindow</name>
    <message>
        <source>Allowed extensions</source>
        <translation>已允许的扩展</translation>
    </message>
    <message>
        <source>These extensions may send requests to Bridgekeeper; any other is refused.</source>
        <translation>这些扩展可以向 Bridgekeeper 发送请求；其他扩展的请求一律拒绝。</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Browser</source>
        <translation>浏览器</translation>
    </message>
    <message>
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>&amp;Add…</source>
        <translation>添加(&amp;A)…</translation>
    </message>
    <message>
        <source>&amp;Remove</source>
        <translation>移除(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Close</source>
        <translation>关闭(&amp;C)</translation>
    </message>
    <message>
        <source>(no name given)</source>
        <translation>（未指定名称）</translation>
    </message>
    <message>
        <source>{name} (allowed by your administrator)</source>
        <translation>{name}（由管理员允许）</translation>
    </message>
    <message>
        <source>Allowed for every user by the system policy ({source}).</source>
        <translation>系统策略已为所有用户允许此扩展（{source}）。</translation>
    </message>
    <message>
        <source>No extension is allowed yet: every request is refused. Add one.</source>
        <translation>尚未允许任何扩展：所有请求都会被拒绝。请添加扩展。</translation>
    </message>
    <message>
        <source>Could not allow it: {error}</source>
        <translation>无法允许：{error}</translation>
    </message>
    <message>
        <source>Allowed: {names}.</source>
        <translation>已允许：{names}。</translation>
    </message>
    <message>
        <source>Could not remove it: {error}</source>
        <translation>无法移除：{error}</translation>
    </message>
    <message>
        <source>Removed: {names}.</source>
        <translation>已移除：{names}。</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Remove “{name}” from the allowed extensions?</source>
        <translation>要将“{name}”从已允许的扩展中移除吗？</translation>
    </message>
    <message>
        <source>Remove the {count} selected extensions from the allowed ones?</source>
        <translation>要将所选的 {count} 个扩展从已允许的扩展中移除吗？</translation>
    </message>
    <message>
        <source>Their requests will be refused, and the browsers will no longer start Bridgekeeper for them.</source>
        <translation>它们的请求将被拒绝，浏览器也不会再为它们启动 Bridgekeeper。</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <translation>取消(&amp;C)</translation>
    </message>
    <message>
        <source>Browsers updated: {browsers}.</source>
        <translation>已更新浏览器：{browsers}。</translation>
    </message>
    <message>
        <source>Could not update: {browsers} (see the log).</source>
        <translation>无法更新：{browsers}（请查看日志）。</translation>
    </message>
</context>
<context>
    <name>DecisionsWindow</name>
    <message>
        <source>Remembered decisions</source>
        <translation>已记住的决定</translation>
    </message>
    <message>
        <source>Extension</source>
        <translation>扩展</translation>
    </message>
    <message>
        <source>Request</source>
        <translation>请求</translation>
    </message>
    <message>
        <source>For</source>
        <translation>针对</translation>
    </message>
    <message>
        <source>Site</source>
        <translation>网站</translation>
    </message>
    <message>
        <source>Decision</source>
        <translation>决定</translation>
    </message>
    <message>
        <source>Since</source>
        <translation>记住时间</translation>
    </message>
    <message>
        <source>&amp;Forget selected</source>
        <translation>忘记所选(&amp;F)</translation>
    </message>
    <message>
        <source>Forget &amp;all</source>
        <translation>全部忘记(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Close</source>
        <translation>关闭(&amp;C)</translation>
    </message>
    <message>
        <source>Always allow</source>
        <translation>总是允许</translation>
    </message>
    <message>
        <source>Always deny</source>
        <translation>总是拒绝</translation>
    </message>
    <message>
        <source>(no site)</source>
        <translation>（无网站）</translation>
    </message>
    <message>
        <source>Remembered decisions: {count}. Requests they cover are answered without asking.</source>
        <translation>已记住 {count} 个决定。它们涵盖的请求将自动回答，不再询问。</translation>
    </message>
    <message>
        <source>No remembered decisions: every request asks you.</source>
        <translation>没有已记住的决定：每个请求都会询问您。</translation>
    </message>
    <message>
        <source>The decisions listed here are not used; every request asks you.</source>
        <translation>此处列出的决定不会被使用：每个请求都会询问您。</translation>
    </message>
</context>
<context>
    <name>DialogPresenter</name>
    <message>
        <source>A request is waiting</source>
        <translation>有请求在等待</translation>
    </message>
    <message>
        <source>{extension} asks: {title}
Click the Bridgekeeper tray icon to answer.</source>
        <translation>{extension} 请求：{title}
请点击托盘中的 Bridgekeeper 图标作答。</translation>
    </message>
</context>
<context>
    <name>IntegrationMenu</name>
    <message>
        <source>registered</source>
        <translation>已注册</translation>
    </message>
    <message>
        <source>not registered</source>
        <translation>未注册</translation>
    </message>
    <message>
        <source>needs repair</source>
        <translation>需要修复</translation>
    </message>
    <message>
        <source>registered, no extension allowed</source>
        <translation>已注册，但未允许任何扩展</translation>
    </message>
    <message>
        <source>Browser integration</source>
        <translation>浏览器集成</translation>
    </message>
    <message>
        <source>Cannot read the settings: {error}</source>
        <translation>无法读取设置：{error}</translation>
    </message>
    <message>
        <source>{browser} — {sandbox}: cannot connect</source>
        <translation>{browser} — {sandbox}：无法连接</translation>
    </message>
    <message>
        <source>{browser} — {state}</source>
        <translation>{browser} — {state}</translation>
    </message>
    <message>
        <source>No {family} extension is allowed: add one in Allowed extensions…</source>
        <translation>未允许任何 {family} 扩展：请在“已允许的扩展…”中添加。</translation>
    </message>
    <message>
        <source>No browser found</source>
        <translation>未找到浏览器</translation>
    </message>
    <message>
        <source>&amp;Install for all detected</source>
        <translation>为检测到的所有浏览器注册(&amp;I)</translation>
    </message>
    <message>
        <source>&amp;Remove all</source>
        <translation>全部移除(&amp;R)</translation>
    </message>
    <message>
        <source>Remove Bridgekeeper from {browser}?</source>
        <translation>要从 {browser} 中移除 Bridgekeeper 吗？</translation>
    </message>
    <message>
        <source>Extensions in {browser} will no longer reach Bridgekeeper until you register it again.</source>
        <translation>在重新注册之前，{browser} 中的扩展将无法连接 Bridgekeeper。</translation>
    </message>
    <message>
        <source>Remove Bridgekeeper from every browser?</source>
        <translation>要从所有浏览器中移除 Bridgekeeper 吗？</translation>
    </message>
    <message>
        <source>No extension will reach Bridgekeeper until you register it again.</source>
        <translation>在重新注册之前，任何扩展都无法连接 Bridgekeeper。</translation>
    </message>
    <message>
        <source>Browser integration — Bridgekeeper</source>
        <translation>浏览器集成 — Bridgekeeper</translation>
    </message>
    <message>
        <source>&amp;Remove</source>
        <translation>移除(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <translation>取消(&amp;C)</translation>
    </message>
    <message>
        <source>Browser integration failed: {error}</source>
        <translation>浏览器集成失败：{error}</translation>
    </message>
    <message>
        <source>a profile folder</source>
        <translation>一个用户配置文件夹</translation>
    </message>
    <message>
        <source>Registered with {browsers}.</source>
        <translation>已在 {browsers} 中注册。</translation>
    </message>
    <message>
        <source>Removed from {browsers}.</source>
        <translation>已从 {browsers} 中移除。</translation>
    </message>
    <message>
        <source>Nothing to do.</source>
        <translation>无需操作。</translation>
    </message>
    <message>
        <source>Failed: {failures}.</source>
        <translation>失败：{failures}。</translation>
    </message>
</context>
<context>
    <name>Policy</name>
    <message>
        <source>Your administrator&apos;s policy does not allow remembering decisions.</source>
        <translation>管理员的策略不允许记住决定。</translation>
    </message>
</context>
<context>
    <name>PromptDialog</name>
    <message>
        <source>{label} (&amp;{key})</source>
        <translation>{label}(&amp;{key})</translation>
    </message>
    <message>
        <source>Written by the extension:</source>
        <translation>以下内容由扩展填写：</translation>
    </message>
    <message>
        <source>&amp;Remember this decision</source>
        <translation>记住此决定(&amp;R)</translation>
    </message>
    <message>
        <source>Answer the same request from this extension for this site the same way, without asking. Forget it from the tray: Remembered decisions…</source>
        <translation>以后此扩展就此网站发出的相同请求将按同样方式自动回答，不再询问。可在托盘菜单的“已记住的决定…”中忘记它。</translation>
    </message>
    <message>
        <source>Remember this decision</source>
        <translation>记住此决定</translation>
    </message>
    <message>
        <source>Who is asking, as Bridgekeeper checked it</source>
        <translation>请求方（经 Bridgekeeper 核实）</translation>
    </message>
    <message>
        <source>(no name was given when it was allowed)</source>
        <translation>（允许时未指定名称）</translation>
    </message>
    <message>
        <source>Extension</source>
        <translation>扩展</translation>
    </message>
    <message>
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>Browser</source>
        <translation>浏览器</translation>
    </message>
    <message>
        <source>The extension marks this request as dangerous. Read it carefully before you allow it.</source>
        <translation>扩展将此请求标记为危险操作。允许之前请仔细阅读。</translation>
    </message>
    <message>
        <source>Site, as the extension states it: {site}</source>
        <translation>扩展声称的网站：{site}</translation>
    </message>
    <message>
        <source>Hide detai&amp;ls</source>
        <translation>隐藏详细信息(&amp;L)</translation>
    </message>
    <message>
        <source>Show detai&amp;ls</source>
        <translation>显示详细信息(&amp;L)</translation>
    </message>
    <message>
        <source>Sh&amp;ow</source>
        <translation>显示(&amp;O)</translation>
    </message>
    <message>
        <source>Show the typed characters</source>
        <translation>显示已输入的字符</translation>
    </message>
    <message>
        <source>Caps Lock is on.</source>
        <translation>大写锁定已开启。</translation>
    </message>
    <message>
        <source>Characters typed: {count} (at most {limit})</source>
        <translation>已输入 {count} 个字符（最多 {limit} 个）</translation>
    </message>
    <message>
        <source>Deny all from this &amp;extension ({count})</source>
        <translation>拒绝此扩展的全部请求（{count}）(&amp;E)</translation>
    </message>
    <message>
        <source>Deny or cancel this request and the others from this extension that wait behind it ({count} in all).</source>
        <translation>拒绝或取消此请求，以及此扩展排在其后的其他请求（共 {count} 个）。</translation>
    </message>
    <message>
        <source>At most {limit} characters.</source>
        <translation>最多 {limit} 个字符。</translation>
    </message>
    <message>
        <source>Its name has letters beyond plain ASCII and may imitate another site. In ASCII it reads:</source>
        <translation>该网站名称含有 ASCII 以外的字母，可能在冒充其他网站。其 ASCII 形式为：</translation>
    </message>
    <message>
        <source>Pick with the arrow keys. Enter does not answer here: use Submit (Alt+S) or Cancel (Esc).</source>
        <translation>用方向键选择。在此按 Enter 不会作答：请用“提交”(Alt+S) 或“取消”(Esc)。</translation>
    </message>
    <message>
        <source>Enter does not answer here: use Submit (Alt+S) or Cancel (Esc).</source>
        <translation>在此按 Enter 不会作答：请用“提交”(Alt+S) 或“取消”(Esc)。</translation>
    </message>
    <message>
        <source>&amp;Deny</source>
        <translation>拒绝(&amp;D)</translation>
    </message>
    <message>
        <source>&amp;Allow</source>
        <translation>允许(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <translation>取消(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Submit</source>
        <translation>提交(&amp;S)</translation>
    </message>
    <message>
        <source>1 of {total}</source>
        <translation>第 1 个，共 {total} 个</translation>
    </message>
    <message>
        <source>No answer in {time} counts as Deny.</source>
        <translation>{time} 内未作答将视为拒绝。</translation>
    </message>
    <message>
        <source>No answer in {time} counts as Cancel.</source>
        <translation>{time} 内未作答将视为取消。</translation>
    </message>
</context>
<context>
    <name>Tray</name>
    <message>
        <source>Your administrator&apos;s policy does not allow pausing prompts.</source>
        <translation>管理员的策略不允许暂停询问。</translation>
    </message>
    <message>
        <source>&amp;Show waiting requests</source>
        <translation>显示等待中的请求(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Pause prompts</source>
        <translation>暂停询问(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Remembered decisions…</source>
        <translation>已记住的决定(&amp;R)…</translation>
    </message>
    <message>
        <source>&amp;Activity…</source>
        <translation>活动记录(&amp;A)…</translation>
    </message>
    <message>
        <source>All&amp;owed extensions…</source>
        <translation>已允许的扩展(&amp;O)…</translation>
    </message>
    <message>
        <source>&amp;Browser integration</source>
        <translation>浏览器集成(&amp;B)</translation>
    </message>
    <message>
        <source>Start at &amp;login</source>
        <translation>登录时启动(&amp;L)</translation>
    </message>
    <message>
        <source>Open log &amp;folder</source>
        <translation>打开日志文件夹(&amp;F)</translation>
    </message>
    <message>
        <source>Abou&amp;t</source>
        <translation>关于(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>Bridgekeeper: paused, requests are being denied</source>
        <translation>Bridgekeeper：已暂停，正在拒绝所有请求</translation>
    </message>
    <message>
        <source>Bridgekeeper: {count} waiting</source>
        <translation>Bridgekeeper：{count} 个请求等待中</translation>
    </message>
    <message>
        <source>Bridgekeeper: running</source>
        <translation>Bridgekeeper：运行中</translation>
    </message>
    <message>
        <source>Browser integration</source>
        <translation>浏览器集成</translation>
    </message>
    <message>
        <source>Requests are waiting ({count}), but their dialog could not be brought forward.</source>
        <translation>有 {count} 个请求在等待，但无法将其对话框显示到前台。</translation>
    </message>
    <message>
        <source>The log folder is {folder}</source>
        <translation>日志文件夹：{folder}</translation>
    </message>
    <message>
        <source>Start at login could not be changed</source>
        <translation>无法更改“登录时启动”</translation>
    </message>
    <message>
        <source>Remembered decisions</source>
        <translation>已记住的决定</translation>
    </message>
</context>
<context>
    <name>widgets</name>
    <message>
        <source>unidentified browser (Chromium family)</source>
        <translation>未识别的浏览器（Chromium 系）</translation>
    </message>
    <message>
        <source>unidentified browser (Firefox family)</source>
        <translation>未识别的浏览器（Firefox 系）</translation>
    </message>
    <message>
        <source>unidentified program</source>
        <translation>未识别的程序</translation>
    </message>
    <message>
        <source>Chromium family</source>
        <translation>Chromium 系</translation>
    </message>
    <message>
        <source>Firefox family</source>
        <translation>Firefox 系</translation>
    </message>
</context>
<context>
    <name>windows</name>
    <message>
        <source>{ascii} (shown as {site})</source>
        <translation>{ascii}（显示为 {site}）</translation>
    </message>
    <message>
        <source>{window} — Bridgekeeper</source>
        <translation>{window} — Bridgekeeper</translation>
    </message>
    <message>
        <source>Confirmation</source>
        <translation>确认</translation>
    </message>
    <message>
        <source>Choice</source>
        <translation>选择</translation>
    </message>
    <message>
        <source>Text entry</source>
        <translation>文本输入</translation>
    </message>
    <message>
        <source>Notification</source>
        <translation>通知</translation>
    </message>
    <message>
        <source>Read a secret</source>
        <translation>读取机密</translation>
    </message>
    <message>
        <source>Store a secret</source>
        <translation>保存机密</translation>
    </message>
    <message>
        <source>Delete a secret</source>
        <translation>删除机密</translation>
    </message>
    <message>
        <source>Allowed</source>
        <translation>已允许</translation>
    </message>
    <message>
        <source>Denied</source>
        <translation>已拒绝</translation>
    </message>
    <message>
        <source>Answered</source>
        <translation>已回答</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <source>Withdrawn by the browser</source>
        <translation>已被浏览器撤回</translation>
    </message>
    <message>
        <source>Refused: too many waiting</source>
        <translation>已拒收：等待的请求过多</translation>
    </message>
    <message>
        <source>Shown</source>
        <translation>已显示</translation>
    </message>
    <message>
        <source>Not shown</source>
        <translation>未显示</translation>
    </message>
    <message>
        <source>remembered</source>
        <translation>按已记住的决定</translation>
    </message>
    <message>
        <source>no answer in time</source>
        <translation>超时未作答</translation>
    </message>
    <message>
        <source>paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <source>window closed</source>
        <translation>窗口被关闭</translation>
    </message>
    <message>
        <source>{outcome} ({reason})</source>
        <translation>{outcome}（{reason}）</translation>
    </message>
    <message>
        <source>ID: {id}</source>
        <translation>ID：{id}</translation>
    </message>
    <message>
        <source>Browser: {browser}</source>
        <translation>浏览器：{browser}</translation>
    </message>
</context>
</TS>
