import Foundation

/// What the page reads and writes besides the session: the sessions to choose from, the
/// history, and the user's plans. Plans are read and written only in the plans folder, by a
/// name that cannot leave it.
enum WebLibrary {
    /// `GET /api/sessions`: today's session and why, the built-in programs, the user's plans.
    static func sessions(plansFolder: String) -> WebResponse {
        var today = "null"
        // Read once: today's choice (which falls back when they cannot be read) and the rules.
        let settings: Result<Settings, UpturnError>
        do throws(UpturnError) { settings = .success(try Settings.read()) } catch { settings = .failure(error) }
        if let (plan, choice) = try? Session.todayPlan(journal: Journal(), settings: { () throws(UpturnError) in try settings.get() }) {
            let reasons = choice.reasons.suffix(12).map(JSONText.string).joined(separator: ", ")
            today = "{\"program\": \(JSONText.string(choice.program)), \"title\": \(JSONText.string(plan.title)), \"level\": \(choice.level), \"angle\": \(choice.angle), "
                + "\"extra_hold_seconds\": \(choice.extraHoldSeconds), \"fallback\": \(choice.fallback.map(JSONText.string) ?? "null"), \"reasons\": [\(reasons)], "
                + "\"rules\": \(JSONText.string(((try? settings.get())?.rules ?? Progression.Rules()).summary))}"
        }
        let programs = BuiltinPrograms.names.map { name in
            "{\"name\": \(JSONText.string(name)), \"title\": \(JSONText.string(BuiltinPrograms.title(name) ?? name)), \"about\": \(JSONText.string(BuiltinPrograms.description(name)))}"
        }
        let plans = planNames(plansFolder).map { name -> String in
            let title = (try? PlanReader.read(file: plansFolder + "/" + name + ".json5"))?.title
            return "{\"name\": \(JSONText.string(name)), \"title\": \(title.map(JSONText.string) ?? "null")}"
        }
        return .json(200, "{\"today\": \(today), \"programs\": [\(programs.joined(separator: ", "))], \"plans\": [\(plans.joined(separator: ", "))]}")
    }

    /// `GET /api/history`: the history's sessions and summary, as `history --json` prints them.
    static func history() -> WebResponse {
        let (all, _) = Journal().read()
        let summary = HistorySummary(history: all, since: nil, rules: (try? Settings.read().rules) ?? Progression.Rules())
        return .json(200, summary.json)
    }

    /// A plan's name as the page may give it: letters, digits, `-` and `_`, 1 to 60 of them
    /// (no dots, so no `..`; no `/`). Nil otherwise.
    static func validName(_ name: String) -> String? {
        guard (1...60).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            return nil
        }
        return name
    }

    /// The file of one of the user's plans, when the name is valid and the file is there.
    static func planPath(_ name: String, folder: String) -> String? {
        guard let name = validName(name) else { return nil }
        let path = folder + "/" + name + ".json5"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    static func planNames(_ folder: String) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return files.filter { $0.hasSuffix(".json5") }.map { String($0.dropLast(6)) }.filter { validName($0) != nil }.sorted()
    }

    /// `GET /api/plans/NAME`: a plan's text (a built-in program's, to start from, by its name).
    static func readPlan(_ name: String, folder: String) -> WebResponse {
        guard let name = validName(name) else { return .error(400, "a plan's name is letters, digits, - and _") }
        if let source = BuiltinPrograms.source(name) { return .json(200, "{\"name\": \(JSONText.string(name)), \"text\": \(JSONText.string(source))}") }
        guard let bytes = try? FileBytes.read(folder + "/" + name + ".json5", limit: WebApp.bodyLimit, what: "plan") else {
            return .error(404, "no plan named \(name)")
        }
        return .json(200, "{\"name\": \(JSONText.string(name)), \"text\": \(JSONText.string(String(decoding: bytes, as: UTF8.self)))}")
    }

    /// `POST /api/check` with `{"name", "text"}`: the engine's own check (every problem at its
    /// line and column, with did-you-mean) and, when the plan is good, its timeline.
    static func check(_ request: WebRequest) -> WebResponse {
        guard let body = WebBody(request.body), let text = body.string("text") else { return .error(400, "expected {\"text\": …}") }
        let file = (body.string("name").flatMap(validName) ?? "plan") + ".json5"
        return .json(200, checked(text, file: file).json)
    }

    struct Checked {
        var problems: [String]
        var timeline: String?
        var json: String {
            let items = problems.map { line -> String in
                // "file:line:column: message", as `check` prints it.
                let parts = line.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
                if parts.count == 4, let row = Int(parts[1]), let column = Int(parts[2]) {
                    return "{\"line\": \(row), \"column\": \(column), \"message\": \(JSONText.string(parts[3].trimmingCharacters(in: .whitespaces)))}"
                }
                return "{\"line\": null, \"column\": null, \"message\": \(JSONText.string(line))}"
            }
            return "{\"ok\": \(problems.isEmpty), \"problems\": [\(items.joined(separator: ", "))], \"timeline\": \(timeline ?? "null")}"
        }
    }

    static func checked(_ text: String, file: String) -> Checked {
        do throws(UpturnError) {
            let plan = try PlanReader.parse(text, file: file)
            let pack = try PackLocator.load(plan.pack)
            let library = ClipLibrary(rate: Session.defaultRate, cache: PromptCache())
            let timeline = try TimelineCompiler(plan: plan, pack: pack, rate: Session.defaultRate, measure: library).compile(file: file)
            return Checked(problems: [], timeline: TimelineJSON.encode(timeline))
        } catch {
            return Checked(problems: error.problems, timeline: nil)
        }
    }

    /// `PUT /api/plans/NAME` with `{"text"}`: kept only when the check passes.
    static func savePlan(_ name: String, _ request: WebRequest, folder: String, log: (String) -> Void) -> WebResponse {
        guard let name = validName(name) else { return .error(400, "a plan's name is letters, digits, - and _ (up to 60)") }
        guard BuiltinPrograms.source(name) == nil, name != Session.todayProgram else {
            return .error(400, "'\(name)' is a built-in program's name; give your plan another")
        }
        guard let body = WebBody(request.body), let text = body.string("text") else { return .error(400, "expected {\"text\": …}") }
        let result = checked(text, file: name + ".json5")
        guard result.problems.isEmpty else { return .json(422, result.json) }
        let path = folder + "/" + name + ".json5"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            return .error(500, "cannot save \(path): \(error.localizedDescription)")
        }
        log("web: saved plan \(path)")
        return .json(200, result.json)
    }
}
